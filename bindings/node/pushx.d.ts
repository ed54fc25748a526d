// require('procx-dotnet/pushx'): the pushx function; its types are in index.d.ts.
import { pushx } from './index';
export = pushx;
