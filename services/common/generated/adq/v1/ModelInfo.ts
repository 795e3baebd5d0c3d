// Original file: proto/adq/v1/features.proto


export interface ModelInfo {
  'sha256'?: (string);
  'inputSize'?: (number);
  'embeddingDim'?: (number);
  'numClasses'?: (number);
  'pooledDim'?: (number);
  'hasFeatureMap'?: (boolean);
  'normalization'?: (string);
}

export interface ModelInfo__Output {
  'sha256': (string);
  'inputSize': (number);
  'embeddingDim': (number);
  'numClasses': (number);
  'pooledDim': (number);
  'hasFeatureMap': (boolean);
  'normalization': (string);
}
