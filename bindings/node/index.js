// @ts-check
'use strict';
// require('procx-dotnet'): both functions in one object. The seed's form is the two entry points,
// require('procx-dotnet/procx') and require('procx-dotnet/pushx').

const procx = require('./procx');
const pushx = require('./pushx');
const { ProcxError } = require('./lib/run');
const { HeldItem } = require('./lib/hold');

// One assignment each, so that ESM's `import { procx, ProcxError } from 'procx-dotnet'` finds the names.
exports.procx = procx;
exports.pushx = pushx;
exports.take = procx.take;
exports.ProcxError = ProcxError;
exports.HeldItem = HeldItem;
