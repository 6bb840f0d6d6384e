"""`make catalog`: derive the move-support data from Microsoft's move pages (markdown).

Reads `migration/data/microsoft-docs/` (verbatim copies, provenance in its README) and writes
`migration/data/move-support.json`: per resource type, whether it can change resource group and
subscription, the condition the table states in words, plus the statements the rules cite (Key Vaults
used for disk encryption, SQL IaaS procedure, third-party services...) and the private-link resources
whose endpoints can move. Tables inside HTML comments are not facts and are dropped first.

    python -m tools.catalog                 # regenerate from the in-project copy
    python -m tools.catalog --source DIR    # from another copy (e.g. a newer one)
    python -m tools.catalog --check         # exit 1 when the committed data differs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "migration" / "data" / "microsoft-docs"
OUT = ROOT / "migration" / "data" / "move-support.json"
TABLE_PAGE = "move-support-resources.md"
NETWORK_PAGE = "networking-move-limitations.md"
LEARN = "https://learn.microsoft.com/azure/azure-resource-manager/management/"

# Statements the rules rely on: key -> (page, words that identify the sentence). The tool fails when one
# is no longer found, so a newer copy of the pages that drops or rewords it is noticed, not ignored.
STATEMENTS: dict[str, tuple[str, str]] = {
    "third_party": (TABLE_PAGE, "Third-party services don't support move"),
    "sql_iaas": (TABLE_PAGE, "first delete the [SQL IaaS Agent extension]"),
    "key_vault_disk_encryption": (TABLE_PAGE, "Key Vaults used to encrypt disks can't be moved"),
    "apim_consumption": (TABLE_PAGE, "Consumption SKU can't be moved"),
    "workspace_automation": (TABLE_PAGE, "Workspaces that have a linked automation account can't be moved"),
    "cosmos_vcore": (TABLE_PAGE, "but not for those based on the vCore architecture"),
    "redis_vnet": (TABLE_PAGE, "configured with a virtual network, the instance can't be moved"),
    "stream_analytics_running": (TABLE_PAGE, "can't be moved when in running state"),
    "search_regions": (TABLE_PAGE, "different regions within one operation"),
    "sql_same_group": (TABLE_PAGE, "A database and server must be in the same resource group"),
    "standard_public_ip": (NETWORK_PAGE, "disassociate the public IP address"),
    "peering": (NETWORK_PAGE, "you must first disable the virtual network peering"),
    "navigation_links": (NETWORK_PAGE, "subnet with resource navigation links"),
    "aks_vnet": (NETWORK_PAGE, "the AKS cluster stops working"),
    "app_service_original_group": ("app-service-move-limitations.md",
                                   "You can only move App Service resources from the resource group where"),
    "app_service_vnet": ("app-service-move-limitations.md", "You can't move apps with virtual network integration"),
    "app_service_private_endpoint": ("app-service-move-limitations.md", "You can't move apps with private endpoints"),
    "app_service_managed_cert": ("app-service-move-limitations.md", "You can't move a free App Service managed"),
    "vm_disk_encryption": ("virtual-machines-move-limitations.md", "you must disable encryption"),
    "vm_marketplace_plan": ("virtual-machines-move-limitations.md", "with plans attached can't be moved across"),
    "vmss_standard": ("virtual-machines-move-limitations.md", "Virtual Machine Scale Sets with Standard SKU"),
    "dependencies_same_group": ("move-resource-group-and-subscription.md",
                                "the resource and its dependent resources must be located in the same"),
}

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_FRONT = re.compile(r"^---\n(.*?)\n---\n", re.DOTALL)


def front_matter(text: str) -> dict[str, str]:
    m = _FRONT.match(text)
    out: dict[str, str] = {}
    for line in (m.group(1) if m else "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _plain(cell: str) -> str:
    """Markdown cell -> words: links to their text, <br> to '; ', bold dropped, spaces squeezed."""
    text = _LINK.sub(r"\1", cell)
    text = _BREAK.sub("; ", text).replace("**", "")
    text = re.sub(r"(\s*;\s*)+", "; ", text)
    return re.sub(r"\s+", " ", text).strip(" ;")


def _support(cell: str) -> tuple[bool | None, str | None]:
    """A table cell -> (movable, condition in words). None: the table does not say (pending)."""
    text = _plain(cell)
    low = text.lower()
    if low.startswith("pending"):
        return None, text
    yes = low.startswith("yes")
    # "Yes - Full; No - Incremental", "Yes - Basic SKU; No - Standard SKU": movable under a condition.
    if yes and re.search(r"(^|; )no\b", low):
        return True, text
    if yes:
        return True, (text if len(text) > 3 else None)
    return False, (text if len(text) > 2 else None)


def _condition_key(text: str | None) -> str | None:
    """Conditions the rules test, named: the table words them; the rules need a name to look for."""
    if not text:
        return None
    low = text.lower()
    if "incremental" in low and "full" in low:
        return "full_snapshots_only"
    if "standard sku" in low and "basic sku" in low and low.find("no - standard") >= 0:
        return "basic_sku_only"
    if "private-link resources" in low:
        return "supported_private_link_only"
    if "networking move guidance" in low:
        return "see_networking_guidance"
    if "move automatically with" in low:
        return "moves_with_parent"
    if "phone numbers" in low:
        return "phone_numbers_data_location"
    return None


def parse_table(text: str) -> dict[str, dict[str, Any]]:
    """Every `## Namespace` section's table rows -> lower-case type -> facts."""
    text = _COMMENT.sub("", text)
    types: dict[str, dict[str, Any]] = {}
    namespace: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            namespace = title if re.fullmatch(r"[A-Za-z0-9.]+", title) and "." in title else None
            continue
        if namespace is None or not line.startswith(">"):
            continue
        row = line.lstrip("> ").strip()
        if not row.startswith("|"):
            continue
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) < 3 or cells[0].lower() == "resource type" or set(cells[0]) <= {"-", " "}:
            continue
        name = re.sub(r"\s*/\s*", "/", cells[0]).strip()
        if " " in name:  # "AKS cluster": a label, not a resource type
            continue
        full = f"{namespace}/{name}"
        group, group_cond = _support(cells[1])
        sub, sub_cond = _support(cells[2])
        entry = {
            "type": full,
            "resource_group": group,
            "subscription": sub,
            "condition": _condition_key(sub_cond or group_cond),
            "words": sub_cond,
        }
        key = full.lower()
        if key in types and types[key] != entry:
            raise ValueError(f"{TABLE_PAGE}: {full} is listed twice with different facts")
        types[key] = entry
    return types


def _sentence(text: str, words: str) -> tuple[str, str] | None:
    """(the paragraph or list item holding `words` as plain text, the heading of its section)."""
    clean = _COMMENT.sub("", text)
    heading = ""
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*] )|\n(?=> \[!)|\n(?=#)", clean):
        first = block.strip().splitlines()[0] if block.strip() else ""
        if re.match(r"#+ (?!\[)", first):  # "# [Azure CLI](#tab...)" is a tab, not a section
            heading = first.lstrip("# ").strip()
        if words in block:
            lines = [ln.lstrip("> ").strip() for ln in block.splitlines() if not re.match(r"#+ ", ln)]
            joined = " ".join(ln for ln in lines if ln and not ln.startswith("[!"))
            return _plain(re.sub(r"^([-*]|\d+\.)\s+", "", joined)), heading
    return None


def private_link_movable(text: str) -> list[str]:
    section = text.split("## Private endpoints", 1)[1].split("\n## ", 1)[0]
    return [m.group(1).strip() for m in re.finditer(r"^\* (\S+)", section, re.MULTILINE)]


def build(docs: Path) -> dict[str, Any]:
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.md")) if p.name != "README.md"}
    table = pages[TABLE_PAGE]
    meta = front_matter(table)
    statements: dict[str, dict[str, str]] = {}
    for key, (page, words) in STATEMENTS.items():
        found = _sentence(pages[page], words)
        if found is None:
            raise ValueError(f"{page}: the statement {key!r} ({words!r}) is no longer there; review the rules")
        sentence, section = found
        folder = "" if page in (TABLE_PAGE, "move-resource-group-and-subscription.md") else "move-limitations/"
        anchor = re.sub(r"[^a-z0-9 -]", "", section.lower()).replace(" ", "-")
        statements[key] = {"text": sentence, "page": page, "section": section,
                           "url": f"{LEARN}{folder}{page.removesuffix('.md')}#{anchor}",
                           "ms_date": front_matter(pages[page]).get("ms.date", "")}
    return {
        "source": {
            "page": TABLE_PAGE,
            "title": meta.get("title", ""),
            "ms_date": meta.get("ms.date", ""),
            "url": LEARN + TABLE_PAGE.removesuffix(".md"),
            "provenance": "migration/data/microsoft-docs/README.md",
            "generated_by": "make catalog (tools/catalog.py)",
        },
        "types": dict(sorted(parse_table(table).items())),
        "private_link_movable": private_link_movable(pages[NETWORK_PAGE]),
        "statements": statements,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DOCS, help="folder with Microsoft's move pages")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with the committed data, write nothing")
    args = parser.parse_args(argv)
    text = render(build(args.source))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from ' + str(args.source)}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    data = json.loads(text)
    print(f"{args.out}: {len(data['types'])} types from {data['source']['page']} (ms.date {data['source']['ms_date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
