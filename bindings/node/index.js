// @ts-check
'use strict';
// require('procx-dotnet'): both functions in one object. The seed's form is the two entry points,
// require('procx-dotnet/procx') and require('procx-dotnet/pushx').

const procx = require('./procx');
const pushx = require('./pushx');
const { ProcxError } = require('./lib/run');
const { HeldItem } = require('./lib/hold');

module.exports = { procx, pushx, take: procx.take, ProcxError, HeldItem };
