/**
 * Who is asking: Kafka's `KafkaPrincipal`, `User:<name>`, the one identity both front ends hand
 * to the authorizer and write into logs and metrics. HTTP takes it from the IAM caller's ARN or a
 * JWT claim, the Kafka gateway from the SASL user; without authentication it is `User:anonymous`.
 */
export interface Principal {
  /** Kafka's principal type; Strata has only users. */
  type: 'User';
  name: string;
}

export const ANONYMOUS: Principal = { type: 'User', name: 'anonymous' };

/** `User:alice`, as ACLs, super users and logs spell it. */
export function principalName(p: Principal): string {
  return `${p.type}:${p.name}`;
}

/** `User:alice` -> the principal; anything else is undefined (the caller says what was wrong). */
export function parsePrincipal(text: string): Principal | undefined {
  const m = /^User:(.+)$/.exec(text);
  return m ? { type: 'User', name: m[1] as string } : undefined;
}

export function user(name: string): Principal {
  return { type: 'User', name };
}
