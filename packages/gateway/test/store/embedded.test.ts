import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { describeDatabase } from './database.case.js';

// In its own file so that it starts (seconds of PGlite initdb) in parallel with the on-disk one.
describeDatabase('embedded, in memory', () => openEmbeddedDatabase({}));
