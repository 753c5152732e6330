import type { CallOptions, CheckoutClient, UpstreamResponse } from './contract';
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  Balances,
  CaptureRequest,
  CaptureResponse,
  CardToken,
  CardTokenRequest,
  Customer,
  CustomerRequest,
  CustomerUpdate,
  Dispute,
  DisputeEvidence,
  DisputeQuery,
  DisputeSummary,
  Instrument,
  InstrumentRequest,
  ListPage,
  PaymentAction,
  PaymentDetails,
  PaymentLink,
  PaymentLinkCreated,
  PaymentLinkRequest,
  PaymentRequest,
  PaymentResponse,
  PaymentSession,
  PaymentSessionRequest,
  PaymentSessionSubmitRequest,
  PaymentSessionSubmitResponse,
  RefundRequest,
  RefundResponse,
  Transfer,
  TransferCreated,
  TransferRequest,
  VoidRequest,
  VoidResponse,
  Workflow,
  WorkflowCreated,
  WorkflowList,
  WorkflowRequest,
  WorkflowUpdate,
} from './types';

/** Per-call extras for typed calls: cancellation, an explicit idempotency key, extra headers. */
export type TypedCallOptions = Pick<CallOptions, 'signal' | 'idempotencyKey' | 'headers'>;

export type Typed<T> = UpstreamResponse & { body: T };

/**
 * Typed calls for the catalog methods Bollard uses, plus `submitPaymentSession` (not a catalog row; see
 * `extra-entries.ts`). Each is `client.call` by entry name: same retries, idempotency and errors; a
 * non-2xx answer throws a `CheckoutError`. Bodies are typed from the facts, not validated: Bollard
 * validates what *it* receives, and passes Checkout.com's answers on.
 *
 * @example
 * const api = checkoutApi(client);
 * const { body } = await api.refundPayment('pay_...', { amount: 500 });
 */
export function checkoutApi(client: CheckoutClient) {
  const id = (value: string) => ({ id: value });
  return {
    // Payments
    requestPayment: (body: PaymentRequest, o?: TypedCallOptions) =>
      client.call<PaymentResponse>('requestPayment', { ...o, body }),
    getPayment: (paymentId: string, o?: TypedCallOptions) =>
      client.call<PaymentDetails>('getPayment', { ...o, params: id(paymentId) }),
    getPaymentActions: (paymentId: string, o?: TypedCallOptions) =>
      client.call<PaymentAction[]>('getPaymentActions', { ...o, params: id(paymentId) }),
    capturePayment: (paymentId: string, body: CaptureRequest = {}, o?: TypedCallOptions) =>
      client.call<CaptureResponse>('capturePayment', { ...o, params: id(paymentId), body }),
    refundPayment: (paymentId: string, body: RefundRequest = {}, o?: TypedCallOptions) =>
      client.call<RefundResponse>('refundPayment', { ...o, params: id(paymentId), body }),
    voidPayment: (paymentId: string, body: VoidRequest = {}, o?: TypedCallOptions) =>
      client.call<VoidResponse>('voidPayment', { ...o, params: id(paymentId), body }),
    incrementAuthorization: (paymentId: string, body: AuthorizationRequest = {}, o?: TypedCallOptions) =>
      client.call<AuthorizationResponse>('incrementAuthorization', { ...o, params: id(paymentId), body }),
    // Payment sessions and links
    createPaymentSession: (body: PaymentSessionRequest, o?: TypedCallOptions) =>
      client.call<PaymentSession>('createPaymentSession', { ...o, body }),
    submitPaymentSession: (sessionId: string, body: PaymentSessionSubmitRequest, o?: TypedCallOptions) =>
      client.call<PaymentSessionSubmitResponse>('submitPaymentSession', {
        ...o,
        params: id(sessionId),
        body,
      }),
    createPaymentLink: (body: PaymentLinkRequest, o?: TypedCallOptions) =>
      client.call<PaymentLinkCreated>('createPaymentLink', { ...o, body }),
    getPaymentLink: (linkId: string, o?: TypedCallOptions) =>
      client.call<PaymentLink>('getPaymentLink', { ...o, params: id(linkId) }),
    // Tokens, instruments, customers
    createToken: (body: CardTokenRequest, o?: TypedCallOptions) =>
      client.call<CardToken>('createToken', { ...o, body }),
    createInstrument: (body: InstrumentRequest, o?: TypedCallOptions) =>
      client.call<Instrument>('createInstrument', { ...o, body }),
    getInstrument: (instrumentId: string, o?: TypedCallOptions) =>
      client.call<Instrument>('getInstrument', { ...o, params: id(instrumentId) }),
    deleteInstrument: (instrumentId: string, o?: TypedCallOptions) =>
      client.call<null>('deleteInstrument', { ...o, params: id(instrumentId) }),
    createCustomer: (body: CustomerRequest, o?: TypedCallOptions) =>
      client.call<{ id: string }>('createCustomer', { ...o, body }),
    getCustomer: (customerId: string, o?: TypedCallOptions) =>
      client.call<Customer>('getCustomer', { ...o, params: id(customerId) }),
    updateCustomer: (customerId: string, body: CustomerUpdate, o?: TypedCallOptions) =>
      client.call<null>('updateCustomer', { ...o, params: id(customerId), body }),
    deleteCustomer: (customerId: string, o?: TypedCallOptions) =>
      client.call<null>('deleteCustomer', { ...o, params: id(customerId) }),
    // Disputes
    listDisputes: (query: DisputeQuery & { limit?: number; skip?: number } = {}, o?: TypedCallOptions) =>
      client.call<ListPage<DisputeSummary>>('listDisputes', { ...o, query: { ...query } }),
    getDispute: (disputeId: string, o?: TypedCallOptions) =>
      client.call<Dispute>('getDispute', { ...o, params: id(disputeId) }),
    acceptDispute: (disputeId: string, o?: TypedCallOptions) =>
      client.call<null>('acceptDispute', { ...o, params: id(disputeId) }),
    provideDisputeEvidence: (disputeId: string, body: DisputeEvidence, o?: TypedCallOptions) =>
      client.call<null>('provideDisputeEvidence', { ...o, params: id(disputeId), body }),
    submitDisputeEvidence: (disputeId: string, o?: TypedCallOptions) =>
      client.call<null>('submitDisputeEvidence', { ...o, params: id(disputeId) }),
    // Transfers and balances (their own hosts on the real API)
    createTransfer: (body: TransferRequest, o?: TypedCallOptions) =>
      client.call<TransferCreated>('createTransfer', { ...o, body }),
    getTransfer: (transferId: string, o?: TypedCallOptions) =>
      client.call<Transfer>('getTransfer', { ...o, params: id(transferId) }),
    getBalances: (entityId: string, query: { query?: string } = {}, o?: TypedCallOptions) =>
      client.call<Balances>('getBalances', { ...o, params: id(entityId), query: { ...query } }),
    // Workflows
    listWorkflows: (o?: TypedCallOptions) => client.call<WorkflowList>('listWorkflows', { ...o }),
    createWorkflow: (body: WorkflowRequest, o?: TypedCallOptions) =>
      client.call<WorkflowCreated>('createWorkflow', { ...o, body }),
    getWorkflow: (workflowId: string, o?: TypedCallOptions) =>
      client.call<Workflow>('getWorkflow', { ...o, params: id(workflowId) }),
    updateWorkflow: (workflowId: string, body: WorkflowUpdate, o?: TypedCallOptions) =>
      client.call<Workflow>('updateWorkflow', { ...o, params: id(workflowId), body }),
    deleteWorkflow: (workflowId: string, o?: TypedCallOptions) =>
      client.call<null>('deleteWorkflow', { ...o, params: id(workflowId) }),
  };
}

/** The typed API over a client. */
export type CheckoutApi = ReturnType<typeof checkoutApi>;
