"""Schemathesis hooks for tests/test_fuzz_api.py (loaded through ``SCHEMATHESIS_HOOKS``).

What the OpenAPI description states (or the contract documents) but schemathesis cannot read on
its own; each is explained, with its reason, in the docstring of tests/test_fuzz_api.py:

* ``x-clickclack-exclusive-query``: groups of query parameters of which at most one may be given.
  OpenAPI 3.1 has no way to say this of separate query parameters, so the description says it in
  the parameters' text and in this extension; positive (schema-valid) cases that give two of a
  group are not generated.  Negative cases are left alone.
* ``BUSINESS_400``: a few operations answer 400 with one specific problem ``code`` to input whose
  validity depends on server state, not on its shape (an unknown magic-link token, a cursor this
  listing did not issue, an id that names a reply where a root is needed...); each is a 400 the
  contract documents.  A "schema-valid request rejected" failure is dropped only for those
  operations, only for a 400, and only when the problem ``code`` is the listed one; any other 400
  (a bound the description does not declare) still fails the run.
* multipart bodies (``POST /api/uploads``) have no types on the wire: a case generated as
  schema-violating (width as the integer 5, an empty list) can be sent as a valid request (the
  text "5", no part).  Such a "schema-violating request accepted" failure is dropped only when
  the parts as sent validate against the declared schema.
* a 101 answer (the websocket handshake) leaves its connection speaking websocket; the hook
  closes it so requests does not reuse it for the next case.
* ``POST /api/uploads`` with a ``nonce`` already used: the documented replay answers 200 with
  the first upload *without reading the body* (contract 16), so a schema-violating body sent
  with a replayed nonce is not rejected.  Only that failure (ST201, a 200 carrying the
  ``X-ClickClack-Upload-Nonce`` header, a nonce in the query) is dropped.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import requests.adapters
import schemathesis
from schemathesis import GenerationMode

BUSINESS_400: dict[str, frozenset[str]] = {
    # contract: "400 (unknown, used or expired token)"; which tokens exist is server state.
    "POST /api/auth/magic/consume": frozenset({"magic_link_invalid"}),
    # next_cursor values are opaque and bound to the listing that issued them.
    "GET /api/search": frozenset({"cursor_mismatch"}),
    "GET /api/workspaces/{workspace_id}/members": frozenset({"invalid_cursor",
                                                             "cursor_mismatch"}),
    # contract 13: "400 (<2 members after dedupe, ..., a member who is not eligible)": whether
    # an id is the caller's own, or a non-guest member's, is server state.
    "POST /api/dms": frozenset({"dm_too_small", "dm_member_ineligible"}),
    # enabling notifications without a key is fine when a key is already stored.
    "PATCH /api/me": frozenset({"pushover_key_required"}),
    # contract 9: "400 (not a root)" / "400 (nested ...)": whether an id names a reply.
    "GET /api/messages/{message_id}/thread": frozenset({"thread_nested"}),
    "POST /api/messages/{message_id}/thread/replies": frozenset({"thread_nested",
                                                                 "quote_out_of_scope"}),
    # contract 8.4: a quoted message from another channel, DM or thread is a 400; contract
    # 8.2/16: an upload_id of another workspace is a 400.
    "POST /api/channels/{channel_id}/messages": frozenset({"quote_out_of_scope",
                                                            "upload_other_workspace"}),
    "POST /api/dms/{conversation_id}/messages": frozenset({"quote_out_of_scope",
                                                           "upload_other_workspace"}),
    # contract 16: "400 (different workspace, deleted message)"; and the per-message limit.
    "POST /api/messages/{message_id}/attachments": frozenset({
        "upload_other_workspace", "message_deleted", "too_many_attachments"}),
    # the message named in the body is in another channel, or deleted.
    "POST /api/channels/{channel_id}/pins": frozenset({"pin_wrong_channel",
                                                        "message_deleted"}),
    # the channel named in the body is in another workspace.
    "POST /api/workspaces/{workspace_id}/topics": frozenset({"topic_channel_invalid"}),
}


def _exclusive_groups(context: Any) -> list[list[str]]:
    operation = getattr(context, "operation", None)
    if operation is None:
        return []
    raw = operation.definition.raw
    return list(raw.get("x-clickclack-exclusive-query", [])) if isinstance(raw, dict) else []


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return True
    query = case.query or {}
    return all(sum(1 for name in group if name in query) <= 1
               for group in _exclusive_groups(context))


def _wire_text(value: Any) -> str:
    # What schemathesis puts in a text part (transport/requests.py: JSON spelling for
    # bool/None/dict/list, str() otherwise).
    if isinstance(value, (bool, dict, list)) or value is None:
        return json.dumps(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _multipart_as_sent(case: Any) -> dict[str, Any] | None:
    """The multipart body as the server receives it: every non-file part is text; a list is one
    part per item (none for []); the file part is a file whatever value it was made from."""
    if not isinstance(case.body, dict):
        return None
    sent: dict[str, Any] = {}
    for name, value in case.body.items():
        items = value if isinstance(value, list) else [value]
        if not items:
            continue
        if len(items) > 1:
            sent[name] = [_wire_text(v) for v in items]  # repeated parts: refused (400)
        else:
            sent[name] = "" if name == "file" else _wire_text(items[0])
    return sent


def _negative_only_before_serialization(case: Any) -> bool:
    """A multipart case generated as schema-violating, whose wire form satisfies the schema:
    multipart has no types, so an integer 5 is sent as the valid text "5", and [] as nothing."""
    if case.media_type is None or not case.media_type.startswith("multipart/form-data"):
        return False
    sent = _multipart_as_sent(case)
    if sent is None:
        return False
    raw = case.operation.definition.raw
    schema = raw["requestBody"]["content"]["multipart/form-data"]["schema"]
    return bool(jsonschema.Draft202012Validator(schema).is_valid(sent))


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if (failure.code == "ST201" and case.operation.label == "POST /api/uploads"
            and response.status_code == 200 and (case.query or {}).get("nonce")
            and any(k.lower() == "x-clickclack-upload-nonce" for k in response.headers)):
        return False  # a nonce replay: answered 200 without reading the body (documented)
    if failure.code == "ST201" and _negative_only_before_serialization(case):
        return False
    if failure.code != "ST202" or response.status_code != 400:
        return True
    allowed = BUSINESS_400.get(case.operation.label)
    if not allowed:
        return True
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):  # not a JSON object: keep the failure
        return True
    return code not in allowed


# A 101 answer (GET /api/realtime/ws) hands the connection over to the websocket protocol, but
# requests returns it to its pool and would send the next request into the websocket (a
# "network error" on an unrelated operation).  Close such a connection as soon as it answers.
_build_response = requests.adapters.HTTPAdapter.build_response


def _build_response_closing_upgrades(self: Any, req: Any, resp: Any) -> Any:
    if resp.status == 101 and getattr(resp, "connection", None) is not None:
        resp.connection.close()
    return _build_response(self, req, resp)


requests.adapters.HTTPAdapter.build_response = _build_response_closing_upgrades  # type: ignore[method-assign]
