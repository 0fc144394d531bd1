import { describeGatewayError, type ConnectionProblem, type GatewayErrorShape } from './problems';

/** Failures produced on our side of the wire, as opposed to error codes the gateway sent. */
export type LocalFailure =
  | 'NOT_CONNECTED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'CONNECTION_CLOSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'BAD_RESPONSE'
  | 'UNSUPPORTED';

/** A request that did not succeed, with advice a person can act on. */
export class GatewayRequestError extends Error {
  readonly code: string;
  readonly detailCode?: string;
  readonly details?: unknown;
  /** true when the gateway answered with an error; false when we never got an answer. */
  readonly answered: boolean;
  constructor(
    readonly method: string,
    readonly problem: ConnectionProblem,
    init: { code: string; message: string; details?: unknown; answered: boolean },
  ) {
    super(init.message);
    this.name = 'GatewayRequestError';
    this.code = init.code;
    this.detailCode = problem.detailCode;
    this.details = init.details;
    this.answered = init.answered;
  }
  static fromGateway(method: string, error: GatewayErrorShape): GatewayRequestError {
    const problem = describeGatewayError(error, { method });
    return new GatewayRequestError(method, problem, {
      code: error.code,
      message: `${method}: ${error.message}`,
      details: error.details,
      answered: true,
    });
  }
  static local(
    method: string,
    code: LocalFailure,
    message: string,
    problem?: Partial<ConnectionProblem>,
  ): GatewayRequestError {
    const full: ConnectionProblem = {
      kind: code.toLowerCase().replace(/_/g, '-'),
      summary: message,
      advice: message,
      action: 'retry',
      reconnect: 'backoff',
      ...problem,
    };
    return new GatewayRequestError(method, full, { code, message: `${method}: ${message}`, answered: false });
  }
}
