import { createHash } from "node:crypto";
import type { Server } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Socket Mode's server side: the WebSocket URL apps.connections.open hands
 * out. Speaks just enough RFC 6455 (text, ping/pong, close) for Bolt's
 * Socket Mode client: sends `hello`, then envelopes, and collects the acks.
 */
export interface FakeSocket {
  connected(): boolean;
  /** Send an envelope (slash command, interaction, event); resolves with the app's ack. */
  send(type: string, payload: unknown): Promise<{ envelope_id: string; payload?: unknown }>;
  close(): void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function frame(opcode: number, data: Buffer): Buffer {
  const len = data.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.alloc(4)
        : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, data]);
}

/** Complete frames from a buffer (client frames are always masked); returns what is left over. */
function parse(buf: Buffer, on: (opcode: number, data: Buffer) => void): Buffer {
  let rest = buf;
  for (;;) {
    if (rest.length < 2) return rest;
    const opcode = rest[0]! & 0x0f;
    let len = rest[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (rest.length < 4) return rest;
      len = rest.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (rest.length < 10) return rest;
      len = Number(rest.readBigUInt64BE(2));
      at = 10;
    }
    if (rest.length < at + 4 + len) return rest;
    const mask = rest.subarray(at, at + 4);
    const data = Buffer.from(rest.subarray(at + 4, at + 4 + len).map((b, i) => b ^ mask[i % 4]!));
    on(opcode, data);
    rest = rest.subarray(at + 4 + len);
  }
}

export function serveSocketMode(server: Server, path: string): FakeSocket {
  let socket: Duplex | undefined;
  let n = 0;
  const waiting = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  const sendJson = (v: unknown) => socket?.write(frame(1, Buffer.from(JSON.stringify(v))));

  server.on("upgrade", (req, s: Duplex) => {
    if (!req.url?.startsWith(path)) return void s.destroy();
    const accept = createHash("sha1")
      .update(`${req.headers["sec-websocket-key"]}${GUID}`)
      .digest("base64");
    s.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket = s;
    let pending: Buffer = Buffer.alloc(0);
    s.on("data", (chunk: Buffer) => {
      pending = parse(Buffer.concat([pending, chunk]), (opcode, data) => {
        if (opcode === 9) s.write(frame(10, data));
        else if (opcode === 8) {
          s.end(frame(8, data.subarray(0, 2)));
          if (socket === s) socket = undefined;
        } else if (opcode === 1) {
          const ack = JSON.parse(data.toString("utf8")) as {
            envelope_id: string;
            payload?: unknown;
          };
          waiting.get(ack.envelope_id)?.(ack);
          waiting.delete(ack.envelope_id);
        }
      });
    });
    s.on("close", () => {
      if (socket === s) socket = undefined;
    });
    s.on("error", () => {});
    sendJson({
      type: "hello",
      num_connections: 1,
      debug_info: { host: "fake-slack" },
      connection_info: { app_id: "A0PAUL" },
    });
  });

  return {
    connected: () => socket !== undefined,
    send(type, payload) {
      const envelope_id = `env-${++n}`;
      return new Promise((resolve) => {
        waiting.set(envelope_id, resolve);
        sendJson({
          envelope_id,
          type,
          payload,
          accepts_response_payload: type !== "events_api",
          retry_attempt: 0,
          retry_reason: "",
        });
      });
    },
    close() {
      socket?.destroy();
      socket = undefined;
    },
  };
}
