export const PACKAGE = "gateway";
