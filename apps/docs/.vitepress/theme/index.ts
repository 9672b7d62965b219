import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import EarlyExitPlayground from './components/EarlyExitPlayground.vue';
import ReportFigure from './components/ReportFigure.vue';
import './custom.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('EarlyExitPlayground', EarlyExitPlayground);
    app.component('ReportFigure', ReportFigure);
  },
} satisfies Theme;
