"""The package version follows the API: its major is the proto package's version (adq.v1 → 1),
and ``PROTO_SHA256`` (written by scripts/gen-protos.sh) identifies the exact protos the stubs
were generated from; a proto change without a regeneration fails `npm run test:python`."""

__version__ = "1.0.0"
API_PACKAGE = "adq.v1"
