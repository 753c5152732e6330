import { DurableObject } from 'cloudflare:workers';

/** Agents, their hashed keys and grants (issue: agent gateway). */
export class AgentRegistry extends DurableObject<Env> {}
