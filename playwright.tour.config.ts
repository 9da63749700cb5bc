// `npm run screenshots`: the README tour pictures, taken from the real renderer (test/e2e/tour.screens.ts).
// One project of its own: the base config's projects (fast, slow) carry their own testMatch, which would run every spec.
import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

export default defineConfig({ ...base, projects: [{ name: 'tour', testMatch: 'tour.screens.ts' }], workers: 1 });
