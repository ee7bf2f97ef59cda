// node-forge's modules register themselves on one shared object; its declarations describe that object.
declare module 'node-forge/lib/forge' {
  import forge from 'node-forge';
  export default forge;
}
declare module 'node-forge/lib/pkcs12';
declare module 'node-forge/lib/pki';
