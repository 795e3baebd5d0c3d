// Original file: proto/adq/v1/common.proto


export interface FieldViolation {
  'field'?: (string);
  'description'?: (string);
}

export interface FieldViolation__Output {
  'field': (string);
  'description': (string);
}
