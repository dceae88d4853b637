import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** One action of a DynamoDB TransactWriteItems, in the document client's form. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/**
 * What an action is for. A cancellation is decoded by these roles, never by the action's position,
 * so that adding an action to a transaction cannot shift the meaning of the others.
 */
export type ActionRole =
  | { role: 'topic' }
  | { role: 'segment' }
  | { role: 'producer'; producerId: string }
  | { role: 'head'; partition: number }
  | { role: 'index'; partition: number }
  | { role: 'sequence'; partition: number; producerId: string }
  | { role: 'group' };

/** A transaction action with its role: storage adapters build these, and only they. */
export type TaggedAction = ActionRole & { item: TransactItem };
