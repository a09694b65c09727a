// CSS half of the browser-target check (`make test-ui-compat`): a property, value or selector
// that a target in ../.browserslistrc lacks (caniuse data through doiuse) fails. It found
// `inset: 0` (Chrome 87): on Chrome 84-86 every overlay, the pairing screen included,
// collapsed to its content; the four sides are spelt out instead.
export default {
  plugins: ['stylelint-no-unsupported-browser-features'],
  rules: {
    'plugin/no-unsupported-browser-features': [true, {
      severity: 'error',
      ignore: [
        'css-overflow', // "partial" only for overflow: clip / overlay, which ui/ never uses
        'extended-system-fonts', // ui-serif & co.: a font stack falls back by design
        // :focus-visible (Safari 15.4, Chrome 86): an older browser drops the rule and keeps
        // its own focus ring; the kitchen's selected ticket uses .selected and :focus instead.
        'css-focus-visible',
        // cursor: a touch tablet has no pointer; where one lacks a value it keeps the default.
        'css3-cursors',
      ],
    }],
  },
};
