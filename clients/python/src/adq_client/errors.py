"""Failed calls as one exception type carrying the server's standard error details."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2

from adq_client._proto.adq.v1 import common_pb2


@dataclass
class FieldViolation:
    field: str
    description: str


class AdqError(Exception):
    """A failed RPC: the gRPC ``code``, the server's ``message``, and the details of its
    ``grpc-status-details-bin`` trailer (google.rpc.ErrorInfo, BadRequest, QuotaFailure,
    RetryInfo, adq.v1.ErrorDetails), so callers branch on ``reason`` rather than on text.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: str = "",
        metadata: dict[str, str] | None = None,
        field_violations: list[FieldViolation] | None = None,
        retry_delay: float | None = None,
        details: common_pb2.ErrorDetails | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}" + (f" [{reason}]" if reason else ""))
        self.code = code
        self.message = message
        #: ErrorInfo.reason, e.g. "INVALID_ARGUMENT", "NOT_FOUND", "QUOTA_EXCEEDED".
        self.reason = reason
        self.metadata = metadata or {}
        self.field_violations = field_violations or []
        #: Seconds after which the same call may succeed; None when retrying does not help.
        self.retry_delay = retry_delay
        #: The full adq.v1.ErrorDetails (bad files, quota, stage, task).
        self.details = details

    @classmethod
    def from_rpc_error(cls, e: grpc.RpcError) -> AdqError:
        call = e  # a grpc.Call as well
        code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
        message = call.details() if hasattr(call, "details") else str(e)
        out = cls(code, message or "")
        trailers = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
        raw = next((v for k, v in (trailers or ()) if k == "grpc-status-details-bin"), None)
        if raw is None:
            return out
        status = status_pb2.Status.FromString(raw)
        for any_ in status.details:
            if any_.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                any_.Unpack(info)
                out.reason = info.reason
                out.metadata = dict(info.metadata)
            elif any_.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                br = error_details_pb2.BadRequest()
                any_.Unpack(br)
                out.field_violations = [FieldViolation(v.field, v.description) for v in br.field_violations]
            elif any_.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                ri = error_details_pb2.RetryInfo()
                any_.Unpack(ri)
                out.retry_delay = ri.retry_delay.ToTimedelta().total_seconds()
            elif any_.Is(common_pb2.ErrorDetails.DESCRIPTOR):
                d = common_pb2.ErrorDetails()
                any_.Unpack(d)
                out.details = d
        out.args = (f"{code.name}: {out.message}" + (f" [{out.reason}]" if out.reason else ""),)
        return out


@dataclass
class JobFailed(Exception):
    """A job that ended FAILED (``details``: its adq.v1.ErrorDetails) or CANCELLED."""

    job_id: str
    state: str
    details: common_pb2.ErrorDetails | None = field(default=None)

    def __str__(self) -> str:
        msg = self.details.message if self.details is not None and self.details.message else ""
        return f"job {self.job_id} {self.state.lower()}" + (f": {msg}" if msg else "")
