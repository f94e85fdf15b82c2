/** The whole repository's tests: every package's own, and the graph's end-to-end tests under test/. */
module.exports = require('./jest.base.js')(__dirname);
