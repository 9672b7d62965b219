import http from 'node:http';

/** Keep-alive connections, as a load balancer or an SDK would hold them. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** A response: status, headers and the body text. */
export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** A response with its body as bytes. */
export interface BytesResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * POSTs a body with node:http. Much lighter than `fetch` (undici streams), so a load test in
 * the server's own process measures the server, not the client. Rejects on a connection
 * error or after `timeoutMs` without a full response.
 */
export function post(url: string, body: string, timeoutMs = 30_000): Promise<RawResponse> {
  return postBytes(url, body, { 'content-type': 'application/json' }, timeoutMs).then((response) => ({
    status: response.status,
    headers: response.headers,
    text: response.body.toString('utf8'),
  }));
}

/** `post` for any body and headers, answering the raw bytes (binary tensor responses). */
export function postBytes(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<BytesResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
