// Lets tsc check the theme's TypeScript; the Vue components themselves are compiled by Vite.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent;
  export default component;
}
