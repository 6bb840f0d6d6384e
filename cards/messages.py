"""Short answer cards: errors, refusals, and clicks on buttons the bot does not know."""

from __future__ import annotations

from typing import Any

from adaptive_cards import types

from cards import _kit as k


def error_card(
    message: str,
    what_to_do: str,
    *,
    title: str = "Something went wrong",
    code: str | None = None,
    retry_verb: str | None = None,
    retry_data: dict[str, str] | None = None,
    retry_title: str = "Try again",
) -> dict[str, Any]:
    """A plain message and the next step. `code` (an ARM error code) helps support, so it is shown small."""
    body: list[k.Element] = [
        k.heading(title),
        k.note(k.untrusted(k.sentences(message, 600)[0]), style=types.ContainerStyle.ATTENTION),
        k.text(f"**What to do:** {k.untrusted(what_to_do)}"),
    ]
    if code:
        body.append(k.text(f"Error code: {k.untrusted(code)}", subtle=True, small=True))
    actions = [k.execute(retry_title, retry_verb, retry_data)] if retry_verb else []
    actions.append(k.execute("Show help", "help.show"))
    return k.card(body, actions, fallback_text=f"{title}: {message}")


def unknown_action_card(verb: str) -> dict[str, Any]:
    """Answer to a click on a card from an older version of the bot, or a forged verb."""
    shown = k.clip(verb, 60) or "(empty)"
    return k.card(
        [
            k.heading("This button no longer works"),
            k.text(f"I do not know the action “{k.untrusted(shown)}”. The card may be from an older version of me."),
            k.text("**What to do:** type help to start again.", spacing=types.Spacing.MEDIUM),
        ],
        [k.execute("Show help", "help.show")],
        fallback_text="This button no longer works. Type help.",
    )


def not_allowed_card(reason: str, *, what_to_do: str | None = None) -> dict[str, Any]:
    """Refusal. Says why, and who can change it, without revealing who may do what."""
    return k.card(
        [
            k.heading("Not allowed"),
            k.note(k.untrusted(reason), style=types.ContainerStyle.ATTENTION),
            k.text(
                f"**What to do:** {what_to_do or 'Ask your bot administrator for access.'}",
                spacing=types.Spacing.MEDIUM,
            ),
        ],
        fallback_text=f"Not allowed: {reason}",
    )


def question_card(title: str, question: str) -> dict[str, Any]:
    """A question the user answers by typing in the chat (a tenant, for example)."""
    return k.card(
        [k.heading(title), k.text(question), k.text("Or type cancel.", subtle=True, small=True)],
        fallback_text=question,
    )
