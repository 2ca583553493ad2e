export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server, keeping the cluster (restart() brings it back on the same port). */
  pause(): void;
  restart(): Promise<void>;
  kill(): void;
  /** Stops the server and deletes the cluster. */
  stop(): Promise<void>;
}
export function findPostgresBin(): string | null;
export function postgresInstalled(): boolean;
export function startPostgres(options?: { durable?: boolean }): Promise<PostgresCluster>;
