export type * from './common';
export type * from './disputes';
export type * from './money';
export type * from './payments';
export type * from './sessions';
export type * from './vault';
export type * from './workflows';
