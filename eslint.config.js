// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Layer rules (DEVELOPERS.md): dependencies point one way.
 * core <- dsl <- engine <- store <- runtime <- client <- cli/dashboard/testing
 * Each entry lists the layers a folder must NOT import from.
 */
const layers = {
  core: ["dsl", "engine", "store", "runtime", "client", "testing"],
  dsl: ["engine", "store", "runtime", "client", "testing"],
  engine: ["store", "runtime", "client", "testing"],
  store: ["runtime", "client", "testing"],
  runtime: ["client", "testing"],
  client: ["testing"],
};

const layerRules = Object.entries(layers).map(([layer, forbidden]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: forbidden.map((f) => ({
          group: [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`],
          message: `src/${layer} must not import from src/${f} (layers point one way, see DEVELOPERS.md)`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".durable/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  { files: ["eslint.config.js"], ...tseslint.configs.disableTypeChecked },
  ...layerRules,
);
