// The hostile mode of the test Hub (hub-server.ts): a fault with `hostile` set makes the matching
// answer lie or misbehave the way a malicious or broken server could, while the rest of the
// answer is served normally. Used by the hardening tests: nothing it sends may make the client
// write outside its cache, hang, exhaust memory or print a token.
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

export interface HostileBehaviour {
  /** Replace the ETag and X-Linked-Etag headers (resolve answers) with this text, e.g. `"../../../evil"`. */
  etag?: string;
  /** Replace the `oid` (and `lfs.oid`) of every file entry in JSON answers (tree listings, paths-info). */
  oid?: string;
  /** Announce this size instead (X-Linked-Size / Content-Length of a HEAD, `size` in tree entries). */
  size?: number;
  /** Send the real body, then more bytes forever (chunked, no Content-Length) until the client leaves. */
  endless?: boolean;
  /** Never answer (`headers`), or send the headers and part of the body and then nothing (`body`). */
  stall?: 'headers' | 'body';
  /** Answer this status with the request's Authorization header echoed in X-Error-Message and the body. */
  echoAuthorization?: number;
}

type End = ServerResponse['end'];

function rewriteEntries(value: unknown, h: HostileBehaviour): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteEntries(v, h));
  if (value && typeof value === 'object') {
    const e = { ...(value as Record<string, unknown>) };
    if (e.type === 'file') {
      if (h.oid !== undefined) {
        e.oid = h.oid;
        if (e.lfs && typeof e.lfs === 'object') e.lfs = { ...(e.lfs as object), oid: h.oid };
      }
      if (h.size !== undefined) {
        e.size = h.size;
        if (e.lfs && typeof e.lfs === 'object') e.lfs = { ...(e.lfs as object), size: h.size };
      }
    }
    return e;
  }
  return value;
}

function rewriteHeaders(headers: OutgoingHttpHeaders, h: HostileBehaviour, method: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  if (h.etag !== undefined) {
    if ('etag' in out) out.etag = h.etag;
    if ('x-linked-etag' in out) out['x-linked-etag'] = h.etag;
  }
  if (h.size !== undefined && method === 'HEAD') {
    if ('x-linked-size' in out) out['x-linked-size'] = String(h.size);
    else out['content-length'] = String(h.size);
  }
  if (h.endless && method !== 'HEAD') {
    delete out['content-length'];
    delete out['content-range'];
  }
  return out;
}

/** Writes `chunk` again and again (respecting backpressure) until the connection is gone. */
async function pourForever(res: ServerResponse, chunk: Buffer): Promise<void> {
  const write = ServerResponse.prototype.write.bind(res) as (c: Buffer) => boolean;
  let closed = false;
  let wake = () => {};
  res.once('close', () => {
    closed = true;
    wake();
  });
  while (!closed && !res.destroyed) {
    if (!write(chunk)) {
      await new Promise<void>((r) => {
        wake = r;
        res.once('drain', r);
      });
      res.removeAllListeners('drain');
    }
  }
}

/**
 * Applies `h` to one request. Returns true when the request is answered (or left hanging) here;
 * false when the normal handler should run (its answer is rewritten on the way out).
 */
export function interceptHostile(h: HostileBehaviour, req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method ?? 'GET';
  if (h.stall === 'headers') {
    req.resume();
    return true; // never answered; the client must give up on its own
  }
  if (h.echoAuthorization !== undefined) {
    const auth = req.headers.authorization ?? '(none)';
    const message = `Bad request for ${req.url}: Authorization: ${auth}`;
    const body = Buffer.from(JSON.stringify({ error: message }));
    res.writeHead(h.echoAuthorization, { 'content-type': 'application/json', 'content-length': String(body.length), 'x-error-message': message });
    res.end(body);
    return true;
  }
  // Headers are held back until the body is known, so a rewritten JSON body gets its own length.
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  let pending: { status: number; headers: OutgoingHttpHeaders } | undefined;
  const flush = (length?: number) => {
    if (!pending) return;
    const headers = rewriteHeaders(pending.headers, h, method);
    if (length !== undefined && !h.endless && 'content-length' in headers && method !== 'HEAD') headers['content-length'] = String(length);
    writeHead(pending.status, headers);
    pending = undefined;
  };
  res.writeHead = ((status: number, a?: unknown, b?: unknown) => {
    pending = { status, headers: ((typeof a === 'string' ? b : a) as OutgoingHttpHeaders | undefined) ?? {} };
    return res;
  }) as ServerResponse['writeHead'];
  const write = res.write.bind(res) as (chunk: unknown) => boolean;
  res.write = ((chunk: unknown) => {
    flush();
    return write(chunk);
  }) as ServerResponse['write'];
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    let body = chunk === undefined || typeof chunk === 'function' ? Buffer.alloc(0) : Buffer.from(chunk as Buffer);
    const json = String(pending?.headers['content-type'] ?? res.getHeader('content-type') ?? '').includes('json');
    if ((h.oid !== undefined || h.size !== undefined) && json) {
      try {
        body = Buffer.from(JSON.stringify(rewriteEntries(JSON.parse(body.toString()), h)));
      } catch {
        /* not JSON: served as is */
      }
    }
    flush(body.length);
    if (method === 'HEAD') return end();
    if (h.stall === 'body') {
      write(body.subarray(0, Math.floor(body.length / 2)));
      return res; // the rest never comes
    }
    if (h.endless) {
      write(body);
      void pourForever(res, Buffer.alloc(64 * 1024, 0x20));
      return res;
    }
    return end(body);
  }) as End;
  return false;
}
