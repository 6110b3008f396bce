// `node --import ./test/shipped/record-modules.ts ...`: writes the URL of every
// module the process loaded to $NETPROBE_MODULE_LOG when it exits, so tests
// can pin what a command does not load.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (process.env.NETPROBE_MODULE_LOG) writeFileSync(process.env.NETPROBE_MODULE_LOG, loaded.join('\n'));
});
