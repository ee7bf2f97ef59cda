// undici's index pulls in fetch, WebSocket, caches and mocks (≈ 530 KB minified); the probe needs only the HTTP
// client (its Dispatcher API: dispatch with a handler), which undici publishes as a CommonJS module of its own.
// Typed by the index's declarations.
declare module 'undici/lib/dispatcher/client.js' {
  import { Client } from 'undici';
  export default Client;
}
