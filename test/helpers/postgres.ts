// A real, throwaway PostgreSQL server for a test file (see postgres-cluster.mjs, shared with the bench).
// If PostgreSQL is not installed the tests FAIL saying how to install it: a test of the shared ledger
// that silently passed without PostgreSQL would prove nothing.
export { startPostgres, postgresInstalled, type PostgresCluster } from "./postgres-cluster.mjs";
