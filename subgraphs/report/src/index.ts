import { startSubgraph } from '@car-check/subgraph-kit';
import { definition } from './definition';

// `node dist/index.js`: configuration, database, migrations, serving and shutdown, all in startSubgraph.
startSubgraph(definition);
