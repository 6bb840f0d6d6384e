"""A subscription's tags through the gateway's tags family: the real Azure SDK over HTTPS against the sandbox
(scenario `litware`), which keeps its own tags and refuses what Azure refuses."""

from __future__ import annotations

import pytest

from migration.model import ArmError
from tests.support.scenarios.litware import LITWARE, SOURCE, SOURCE_TAGS, TARGET

ON_SOURCE, ON_TARGET = f"/subscriptions/{SOURCE}", f"/subscriptions/{TARGET}"


@pytest.fixture
async def litware(sandbox_factory, gateway_factory):
    sandbox = await sandbox_factory("litware")
    return sandbox, gateway_factory(sandbox).for_tenant(LITWARE)


async def test_tags_merged_into_a_subscription_keep_its_own_and_read_back(litware):
    sandbox, azure = litware
    assert await azure.tags.get_tags(ON_SOURCE) == SOURCE_TAGS
    assert await azure.tags.get_tags(ON_TARGET) == {}
    await (await azure.tags.begin_merge_tags(ON_TARGET, tags={"owner": "csp-team", "env": "prod"})).wait()
    await (await azure.tags.begin_merge_tags(ON_TARGET, tags=SOURCE_TAGS)).wait()
    # The source's value wins for a name both have; a tag only the target had stays.
    assert await azure.tags.get_tags(ON_TARGET) == {**SOURCE_TAGS, "env": "prod"}
    assert sandbox.stats()["applied_by_operation"]["Tags_UpdateAtScope"] == 2


@pytest.mark.parametrize(("tags", "code"), [
    ({"cost/center": "x"}, "InvalidTagNameCharacters"),
    ({"n" * 513: "x"}, "InvalidTagName"),
    ({"owner": "v" * 257}, "InvalidTagValueLength"),
], ids=["reserved-character", "long-name", "long-value"])
async def test_a_tag_azure_refuses_is_refused_and_changes_nothing(litware, tags, code):
    _, azure = litware
    with pytest.raises(ArmError) as refused:
        await (await azure.tags.begin_merge_tags(ON_TARGET, tags={"env": "prod", **tags})).wait()
    assert refused.value.code == code
    assert await azure.tags.get_tags(ON_TARGET) == {}


async def test_a_read_only_lock_on_the_subscription_refuses_its_tags(litware):
    _, azure = litware
    await azure.locks.create_lock(ON_TARGET, name="freeze", level="ReadOnly", notes=None)
    with pytest.raises(ArmError) as refused:
        await (await azure.tags.begin_merge_tags(ON_TARGET, tags={"env": "prod"})).wait()
    assert refused.value.code == "ScopeLocked"
    await azure.locks.delete_lock(ON_TARGET, name="freeze")
    await (await azure.tags.begin_merge_tags(ON_TARGET, tags={"env": "prod"})).wait()
    assert await azure.tags.get_tags(ON_TARGET) == {"env": "prod"}
