"""Mocha's layers: data, computation, loss and statistics."""

from __future__ import annotations

from .base import Layer, LayerState
from .compute import (
    ConcatLayer,
    ConvolutionLayer,
    DropoutLayer,
    InnerProductLayer,
    Pooling,
    PoolingLayer,
    ReLULayer,
    ReshapeLayer,
    SoftmaxLayer,
    SplitLayer,
)
from .data import HDF5DataLayer, MemoryDataLayer
from .loss import AccuracyLayer, SoftmaxLossLayer

__all__ = [
    "AccuracyLayer",
    "ConcatLayer",
    "ConvolutionLayer",
    "DropoutLayer",
    "HDF5DataLayer",
    "InnerProductLayer",
    "Layer",
    "LayerState",
    "MemoryDataLayer",
    "Pooling",
    "PoolingLayer",
    "ReLULayer",
    "ReshapeLayer",
    "SoftmaxLayer",
    "SoftmaxLossLayer",
    "SplitLayer",
]
