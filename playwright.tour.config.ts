// `npm run screenshots`: the README tour pictures, taken from the real renderer (test/e2e/tour.screens.ts).
import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

export default defineConfig({ ...base, testMatch: 'tour.screens.ts', workers: 1 });
