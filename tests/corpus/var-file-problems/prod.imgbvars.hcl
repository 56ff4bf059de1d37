disk  = "huge"
region = "cn-hangzhou"
