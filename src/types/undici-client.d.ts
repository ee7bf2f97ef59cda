// undici's index pulls in fetch, WebSocket, caches and mocks (≈ 530 KB minified); the probe needs only the HTTP
// client and its request API, which undici publishes as CommonJS modules of their own (the index attaches the API
// to Dispatcher.prototype; the probe calls it on its client instead). Typed by the index's declarations.
declare module 'undici/lib/dispatcher/client.js' {
  import { Client } from 'undici';
  export default Client;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  export default function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}
