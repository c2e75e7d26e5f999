"""Why a check failed: hints on typical mistakes, which method to blame, which node is wrong."""
