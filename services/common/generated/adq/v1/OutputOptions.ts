// Original file: proto/adq/v1/compression_service.proto


export interface OutputOptions {
  'reconstruct'?: (boolean);
  'keepIntermediates'?: (boolean);
  'uri'?: (string);
}

export interface OutputOptions__Output {
  'reconstruct': (boolean);
  'keepIntermediates': (boolean);
  'uri': (string);
}
