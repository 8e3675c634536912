import { PGlite } from '@electric-sql/pglite';
let t = performance.now();
const p = new PGlite(process.argv[2]); await p.query('select 1'); console.log(process.argv[2], 'open', Math.round(performance.now() - t)); t = performance.now();
if (process.argv[3]) { const b = await p.dumpDataDir('none'); console.log('dump', Math.round(performance.now() - t), b.size); t = performance.now();
 const q = new PGlite({ loadDataDir: b }); await q.query('select 1'); console.log('load from dump (mem)', Math.round(performance.now() - t)); }
await p.close();
