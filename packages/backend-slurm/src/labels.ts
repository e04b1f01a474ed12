/** The registry name of this backend. */
export const BACKEND_NAME = "slurm";
