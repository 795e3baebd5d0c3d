// Original file: proto/adq/v1/common.proto


export interface PatchGrid {
  'imageSize'?: (number);
  'patchSize'?: (number);
}

export interface PatchGrid__Output {
  'imageSize': (number);
  'patchSize': (number);
}
