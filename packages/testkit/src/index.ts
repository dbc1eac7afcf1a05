export const PACKAGE = "testkit";
