/** The web package's own unit tests (src/**\/*.test.ts), run with the repository's shared jest setup. */
module.exports = require('../jest.base.js')(__dirname);
