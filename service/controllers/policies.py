"""``/v1/policies``: the named policy files and validation of a policy text."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from engine.policy import check_policy_text
from service.named_files import named_policy, policy_names
from service.schemas import PolicyInfo, ValidateRequest, ValidateResult
from service.security import requires


class PolicyController(Controller):
    """Policies the service can plan with."""

    path = "/v1/policies"
    tags = ["policies"]

    @get("/", operation_id="listPolicies", summary="Named policies", guards=[requires("read")])
    async def list(self, request: Request) -> list[PolicyInfo]:
        """Every valid policy file in the service's policies folder."""
        folder = request.app.state.settings.policies_dir
        out = []
        for name in policy_names(folder):
            try:
                p = named_policy(folder, name)
            except ValueError:
                continue  # an invalid file is not offered; `fleetcharge policy check` says why
            m = p.metadata
            out.append(
                PolicyInfo(
                    name=name,
                    title=m.name,
                    version=m.version,
                    owner=m.owner,
                    description=m.description,
                    mode=p.mode.default,
                )
            )
        return out

    @post(
        "/validate",
        operation_id="validatePolicy",
        summary="Check a policy text",
        guards=[requires("read")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def validate(self, data: JSONBody[ValidateRequest]) -> ValidateResult:
        """The same messages as ``fleetcharge policy check``: ``NAME:LINE:COL: message`` per problem. Checked in
        a worker thread, never on the event loop (YAML with anchors, deep nesting or too many values is refused
        before it is built: :mod:`engine.io.yaml_lines`)."""
        _policy, problems = check_policy_text(data.text, data.name)
        return ValidateResult(valid=not problems, problems=[str(p) for p in problems])
