import type { AddressInfo } from 'node:net';
import smpp from 'smpp';

/** One submit_sm as the SMSC saw it. */
export interface Submitted {
  messageId: string;
  source: string;
  destination: string;
  text: string;
  dataCoding: number;
  registeredDelivery: number;
}

/** How the test SMSC behaves. */
export interface SmscOptions {
  systemId?: string;
  password?: string;
  /** Answer submit_sm (default true); false leaves the sender waiting. */
  answerSubmits?: boolean;
  /** Delivery receipt sent after each submit: a stat: word, or none. */
  receipt?: 'DELIVRD' | 'UNDELIV' | false;
  /** Answer enquire_link (default true). */
  answerEnquireLinks?: boolean;
}

/** A real SMPP 3.4 peer (the smpp package's server mode) on loopback, for tests and the bench. */
export async function startSmsc(options: SmscOptions = {}) {
  const state = {
    submits: [] as Submitted[],
    binds: 0,
    enquireLinks: 0,
    receiptsAnswered: 0,
    options: {
      answerSubmits: true,
      receipt: 'DELIVRD' as SmscOptions['receipt'],
      answerEnquireLinks: true,
      ...options,
    },
  };
  let counter = 0;
  const server = smpp.createServer({}, (session) => {
    session.socket.setNoDelay(true);
    session.on('error', () => {});
    session.on('bind_transceiver', (pdu) => {
      const ok =
        pdu.system_id === (options.systemId ?? 'passgate') &&
        pdu.password === (options.password ?? 'smpp-pass');
      if (ok) state.binds++;
      session.send(pdu.response(ok ? {} : { command_status: smpp.errors.ESME_RBINDFAIL }));
    });
    session.on('enquire_link', (pdu) => {
      state.enquireLinks++;
      if (state.options.answerEnquireLinks) session.send(pdu.response());
    });
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
      if (!state.options.answerSubmits) return;
      const messageId = `${(++counter).toString(16).padStart(8, '0')}`;
      const body = (pdu.short_message ?? pdu.message_payload) as { message?: string } | undefined;
      const submitted: Submitted = {
        messageId,
        source: String(pdu.source_addr),
        destination: String(pdu.destination_addr),
        text: String(body?.message ?? ''),
        dataCoding: Number(pdu.data_coding),
        registeredDelivery: Number(pdu.registered_delivery),
      };
      state.submits.push(submitted);
      session.send(pdu.response({ message_id: messageId }));
      const stat = state.options.receipt;
      if (!stat || !submitted.registeredDelivery) return;
      session.deliver_sm(
        {
          source_addr: submitted.destination,
          destination_addr: submitted.source,
          esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
          receipted_message_id: messageId,
          message_state: stat === 'DELIVRD' ? smpp.MESSAGE_STATE.DELIVERED : smpp.MESSAGE_STATE.UNDELIVERABLE,
          short_message: `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2601011200 done date:2601011200 stat:${stat} err:000 text:`,
        },
        () => {
          state.receiptsAnswered++;
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** What the SMSC saw so far (live). */
    state,
    url: `smpp://127.0.0.1:${port}`,
    /** Cuts every open SMPP connection (the clients should reconnect). */
    dropConnections: () => {
      for (const session of [...server.sessions]) session.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of [...server.sessions]) session.destroy();
        server.close(() => resolve());
      }),
  };
}
