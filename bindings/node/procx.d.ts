// require('procx-dotnet/procx'): the procx function; its types are in index.d.ts.
import { procx } from './index';
export = procx;
