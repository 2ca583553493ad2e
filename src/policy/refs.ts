// The one way the app names a repository and a pull request (or issue) in it.

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PullRef extends RepoRef {
  number: number;
}
