// Original file: proto/adq/v1/common.proto


export interface TaskContext {
  'jobId'?: (string);
  'taskKey'?: (string);
  'attempt'?: (number);
}

export interface TaskContext__Output {
  'jobId': (string);
  'taskKey': (string);
  'attempt': (number);
}
