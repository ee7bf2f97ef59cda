import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The timeline renderer is a browser bundle (the webview panel and the HTML report).
    files: ['src/webview/**/*.ts'],
    languageOptions: {
      globals: Object.fromEntries(
        ['window', 'document', 'performance', 'requestAnimationFrame', 'cancelAnimationFrame', 'HTMLElement', 'HTMLButtonElement', 'Element', 'Node', 'Document', 'DocumentFragment', 'DOMParser', 'SVGElement', 'SVGSVGElement', 'ResizeObserver', 'CSS', 'Event', 'MouseEvent', 'WheelEvent', 'PointerEvent', 'KeyboardEvent', 'FocusEvent', 'MessageEvent', 'customElements'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The core is pure Node: the CLI and the tests run it without VS Code.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core must stay pure Node; put VS Code glue in src/extension.' }],
        patterns: [{ group: ['**/extension/**', '**/cli/**'], message: 'src/core must not depend on the extension or the CLI.' }],
      }],
      'no-restricted-syntax': ['error',
        { selector: "ImportExpression[source.value='vscode']", message: 'src/core must stay pure Node.' },
        { selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']", message: 'src/core must stay pure Node.' },
      ],
    },
  },
);
