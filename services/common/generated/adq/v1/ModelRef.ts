// Original file: proto/adq/v1/common.proto


export interface ModelRef {
  'uri'?: (string);
  'sha256'?: (string);
}

export interface ModelRef__Output {
  'uri': (string);
  'sha256': (string);
}
