export const PACKAGE = "cli";
