// `npm run cluster -- up | down | status | build`: the local Kubernetes control plane for
// development and end-to-end tests (see README "Local control plane").
import { ensureBinaries } from './cluster/binaries.js';
import { clusterDir, down, kubeconfigPath, status, up } from './cluster/control-plane.js';

const log = (msg: string) => console.log(`[cluster] ${msg}`);

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      await up(log);
      console.log(`\nexport KUBECONFIG=${kubeconfigPath}\nexport PATH=${clusterDir}/bin:$PATH`);
      return 0;
    }
    case 'down':
      await down(log);
      return 0;
    case 'status':
      return (await status(log)) ? 0 : 1;
    case 'build':
      await ensureBinaries(log);
      return 0;
    default:
      console.error('usage: npm run cluster -- up | down | status | build');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[cluster] ${err.message}`);
    process.exit(1);
  },
);
