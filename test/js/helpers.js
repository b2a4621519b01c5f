// Helpers shared by the Bun tests: capture what a call throws or a promise
// rejects with, failing the test when nothing is thrown.
'use strict';

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

module.exports = { rejection, thrown };
